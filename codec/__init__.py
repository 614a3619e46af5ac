"""Payload encryption: the key ring, the AES-256-GCM codec and the codec server."""
