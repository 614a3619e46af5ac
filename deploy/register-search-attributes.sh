#!/usr/bin/env bash
# Prepare a self-hosted Temporal namespace for onboardings: create it if it is missing, set
# how long closed workflows are kept, and register the custom search attributes that
# onboarding/search.py sets (so the Web UI and `onboard list` can filter by step, owner, ...).
#
# Safe to run again and again: an attribute that already exists with the right type is
# left alone. One that exists with a *different* type is an error, because workflows would
# fail to upsert it and nothing but a person can decide which type is right.
#
# Connection: the Temporal CLI reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
# TEMPORAL_TLS and TEMPORAL_TLS_* itself: the same variables the worker reads.
#
# Temporal Cloud manages namespaces and search attributes through its control plane (tcld,
# the Cloud UI or Terraform), not through the data-plane API this script uses. Pointed at a
# Cloud address, the script prints the equivalent tcld commands and exits with status 2.
#
# Usage: register-search-attributes.sh [--retention DURATION] [--wait SECONDS]
#   --retention   how long closed workflows are kept (default $NAMESPACE_RETENTION or 30d)
#   --wait        how long to wait for the server and for the attributes to become
#                 queryable (default $TEMPORAL_WAIT_SECONDS or 120)
# Exit status: 0 done, 1 failed, 2 Temporal Cloud (run the printed tcld commands), 64 usage.

set -euo pipefail

# The attributes of onboarding.search.CLI_TYPES, as NAME:TYPE with the Temporal CLI's type
# names. Hard-coded so the script runs where the Python project is not installed (an
# operator's laptop, a CI job); tests/unit/test_deploy_script.py fails if they drift.
SEARCH_ATTRIBUTES=(
  OnboardingStep:Keyword
  OnboardingState:Keyword
  TenantId:Keyword
  Region:Keyword
  SlaTier:Keyword
  OnboardingOwner:Keyword
  Blocked:Bool
  GateDueAt:Datetime
  GoLiveAt:Datetime
)

TEMPORAL_CLI=${TEMPORAL_CLI:-temporal}
ADDRESS=${TEMPORAL_ADDRESS:-localhost:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${NAMESPACE_RETENTION:-30d}
WAIT_SECONDS=${TEMPORAL_WAIT_SECONDS:-120}

usage() {
  sed -n '/^# Usage:/,/^# Exit status:/s/^# \{0,1\}//p' "$0"
}

while (($#)); do
  case $1 in
    --retention) RETENTION=${2:?--retention needs a duration, e.g. 30d}; shift 2 ;;
    --retention=*) RETENTION=${1#*=}; shift ;;
    --wait) WAIT_SECONDS=${2:?--wait needs a number of seconds}; shift 2 ;;
    --wait=*) WAIT_SECONDS=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 64 ;;
  esac
done

if ! [[ $RETENTION =~ ^[0-9]+(d|h)$ ]]; then
  echo "retention must be a whole number of days or hours (e.g. 30d), not '$RETENTION'" >&2
  exit 64
fi
if ! [[ $WAIT_SECONDS =~ ^[0-9]+$ ]]; then
  echo "--wait must be a whole number of seconds, not '$WAIT_SECONDS'" >&2
  exit 64
fi

log() { printf '%s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ Temporal Cloud
if [[ $ADDRESS == *.tmprl.cloud:* || $ADDRESS == *.api.temporal.io:* ]]; then
  {
    log "$ADDRESS is Temporal Cloud: namespaces and search attributes are managed with tcld"
    log "(or the Cloud UI / Terraform provider), by someone with Namespace Admin rights."
    log "Run, with TEMPORAL_NAMESPACE being the namespace id <namespace>.<account>:"
    log ""
    flags=()
    for entry in "${SEARCH_ATTRIBUTES[@]}"; do
      flags+=("--search-attribute ${entry%%:*}=${entry#*:}")
    done
    log "  tcld namespace search-attributes add --namespace $NAMESPACE$(printf ' \\\n      %s' "${flags[@]}")"
    if [[ $RETENTION == *d ]]; then
      log "  tcld namespace retention set --namespace $NAMESPACE --retention-days ${RETENTION%d}"
    else
      log "  (Temporal Cloud keeps closed workflows for whole days: choose a retention in days)"
    fi
  } >&2
  exit 2
fi

command -v "$TEMPORAL_CLI" >/dev/null 2>&1 \
  || fail "the Temporal CLI ('$TEMPORAL_CLI') is not on PATH; install it or set TEMPORAL_CLI"

# Every call names the address (and the namespace where one applies), so a TEMPORAL_ENV
# profile or config file cannot send it elsewhere.
temporal_cli() { "$TEMPORAL_CLI" --address "$ADDRESS" "$@"; }

deadline=$((SECONDS + WAIT_SECONDS))

# --------------------------------------------------------------- wait for the server
# Under docker compose or a fresh Helm release the frontend accepts TCP before it serves.
log "waiting for Temporal at $ADDRESS (up to ${WAIT_SECONDS}s)"
until health=$(temporal_cli operator cluster health 2>&1); do
  if ((SECONDS >= deadline)); then
    fail "Temporal at $ADDRESS did not answer in ${WAIT_SECONDS}s: $health"
  fi
  sleep 2
done

# ------------------------------------------------------------ namespace and retention
if temporal_cli operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  temporal_cli operator namespace update --namespace "$NAMESPACE" --retention "$RETENTION" >/dev/null \
    || fail "could not set the retention of namespace $NAMESPACE to $RETENTION"
  log "namespace $NAMESPACE: retention set to $RETENTION"
else
  temporal_cli operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" >/dev/null \
    || temporal_cli operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 \
    || fail "could not create namespace $NAMESPACE"
  log "namespace $NAMESPACE: created with retention $RETENTION"
  # A new namespace reaches every frontend's cache only after its refresh interval (10 s by
  # default); until then creating search attributes in it fails with "namespace not found".
  until temporal_cli operator search-attribute list --namespace "$NAMESPACE" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "namespace $NAMESPACE was created but is not visible yet"
    sleep 2
  done
fi

# ------------------------------------------------------------------ search attributes
# The registered type of one attribute as the API's enum suffix (KEYWORD, BOOL, ...), or
# nothing when it is not registered. JSON output, because its shape is the API's own.
registered_type() {
  local listing=$1 name=$2
  grep -o "\"$name\": *\"INDEXED_VALUE_TYPE_[A-Z_]*\"" <<<"$listing" \
    | sed 's/.*INDEXED_VALUE_TYPE_\([A-Z_]*\)"$/\1/' || true
}

# The CLI's type names (Keyword, KeywordList, ...) as the API's enum suffixes.
enum_of() {
  case $1 in
    KeywordList) echo KEYWORD_LIST ;;
    *) tr '[:lower:]' '[:upper:]' <<<"$1" ;;
  esac
}

list_attributes() {
  temporal_cli operator search-attribute list --namespace "$NAMESPACE" --output json
}

listing=$(list_attributes) || fail "could not list the search attributes of $NAMESPACE"
# First every conflict, before anything is created: a half-registered set helps nobody.
for entry in "${SEARCH_ATTRIBUTES[@]}"; do
  name=${entry%%:*}
  type=${entry#*:}
  have=$(registered_type "$listing" "$name")
  if [[ -n $have && $have != "$(enum_of "$type")" ]]; then
    fail "search attribute $name is registered as $have in $NAMESPACE, but onboardings need" \
      "$type; a person must decide (removing it loses its values on existing workflows)"
  fi
done
for entry in "${SEARCH_ATTRIBUTES[@]}"; do
  name=${entry%%:*}
  type=${entry#*:}
  if [[ -n $(registered_type "$listing" "$name") ]]; then
    log "search attribute $name ($type): already registered"
    continue
  fi
  # Older servers answer "already exists" when another run got there first: the
  # verification below, not this exit status, decides.
  if temporal_cli operator search-attribute create --namespace "$NAMESPACE" \
    --name "$name" --type "$type" >/dev/null 2>&1; then
    log "search attribute $name ($type): created"
  else
    log "search attribute $name ($type): create refused; checking what is registered"
  fi
done

# Verify the end state rather than trusting each create call.
listing=$(list_attributes) || fail "could not list the search attributes of $NAMESPACE"
missing=()
probe=()
for entry in "${SEARCH_ATTRIBUTES[@]}"; do
  name=${entry%%:*}
  type=${entry#*:}
  if [[ $(registered_type "$listing" "$name") != "$(enum_of "$type")" ]]; then
    missing+=("$name:$type")
  fi
  case $type in
    Bool) probe+=("$name = true") ;;
    Datetime) probe+=("$name > '2000-01-01T00:00:00Z'") ;;
    Int | Double) probe+=("$name = 0") ;;
    *) probe+=("$name = '__register_probe__'") ;;
  esac
done
if ((${#missing[@]})); then
  fail "not registered in $NAMESPACE after creating them: ${missing[*]}" \
    "(a SQL visibility store allows at most 10 Keyword, 3 Bool and 3 Datetime attributes)"
fi

# The attributes are listed at once, but each frontend learns of them only on its next
# cache refresh; a workflow started before then fails to set them. Wait until a query
# naming every one of them is accepted.
query=$(printf ' AND %s' "${probe[@]}")
query=${query# AND }
until err=$(temporal_cli workflow list --namespace "$NAMESPACE" --limit 1 --output none \
  --query "$query" 2>&1); do
  ((SECONDS < deadline)) || fail "the search attributes are registered but not yet queryable: $err"
  sleep 2
done

log "namespace $NAMESPACE on $ADDRESS is ready: ${#SEARCH_ATTRIBUTES[@]} search attributes," \
  "retention $RETENTION"
