"""What each platform feature is, in the customers' words (documentation copy)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureDoc:
    """How the documents describe one feature."""

    key: str
    title: str
    description: str


FEATURES: dict[str, FeatureDoc] = {
    f.key: f
    for f in (
        FeatureDoc(
            "subtitles",
            "Automatic subtitles",
            "Speech recognition transcribes every uploaded video into timed subtitles, in the "
            "source language and in each target language you order. Editors review and "
            "correct them in the subtitle editor before a manager publishes.",
        ),
        FeatureDoc(
            "dubbing",
            "AI dubbing",
            "Produces a dubbed audio track per target language from the reviewed subtitles, "
            "with a voice chosen per speaker. The original audio is kept untouched.",
        ),
        FeatureDoc(
            "glossary",
            "Terminology glossary",
            "Keeps product names, brand terms and approved translations consistent across "
            "every localised version; glossary terms are applied to every new job.",
        ),
        FeatureDoc(
            "sso",
            "Single sign-on",
            "Your users sign in through your organisation's identity provider, so joiners "
            "and leavers are managed where you manage them today.",
        ),
        FeatureDoc(
            "api_access",
            "Public API access",
            "Automates uploads, job orders and job status from your own systems with the "
            "LocalizeVideos API, within your contracted rate limit.",
        ),
        FeatureDoc(
            "voice_over",
            "Voice-over",
            "Adds a narrated voice-over track per target language, mixed over the original "
            "audio instead of replacing it.",
        ),
        FeatureDoc(
            "analytics",
            "Localisation analytics",
            "Reports minutes localised, turnaround times and review effort per language "
            "and per team.",
        ),
        FeatureDoc(
            "translation_memory",
            "Translation memory",
            "Reuses your earlier approved translations for recurring sentences, so repeated "
            "content is translated consistently and reviewed faster.",
        ),
    )
}
"""Documentation copy of every generally available feature."""


def feature_doc(key: str) -> FeatureDoc:
    """Return the copy of a contracted feature (a plain entry for one without copy yet)."""
    known = FEATURES.get(key)
    if known is not None:
        return known
    title = key.replace("_", " ").capitalize()
    return FeatureDoc(key, title, "Enabled as contracted; see the in-product help.")
