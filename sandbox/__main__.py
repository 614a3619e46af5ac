"""``python -m sandbox``: run the sandbox platform configured from ``SANDBOX_*``."""

from sandbox.server import serve
from sandbox.settings import SandboxSettings

if __name__ == "__main__":
    serve(SandboxSettings())
