"""Notification delivery: the outbox store, the senders and their settings.

Worker-side only (SQLAlchemy, httpx, smtplib): never import it from workflow code.
The workflow builds an `onboarding.notifications.Notification` and runs the
`send_notification` activity (`activities.notify`).
"""
