"""Tests of the sandbox platform, through real HTTP."""
