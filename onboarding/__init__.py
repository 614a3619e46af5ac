"""The onboarding domain: pure models and rules, import-safe inside the workflow sandbox."""
