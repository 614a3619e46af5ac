"""Keys and signatures of the people and services that act in onboardings (not sandbox-safe:
it reads and writes key files)."""
