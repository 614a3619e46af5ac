"""`python -m worker`: the same as `onboard worker`."""

import asyncio
import sys

from worker.config import InvalidSettings, Settings, load_settings
from worker.main import run_worker

if __name__ == "__main__":
    try:
        asyncio.run(run_worker(load_settings(Settings)))
    except InvalidSettings as exc:
        sys.exit("invalid settings:\n" + "\n".join(f"  - {p}" for p in exc.problems))
