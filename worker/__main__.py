"""`python -m worker`: the same as `onboard worker`."""

import asyncio

from worker.config import Settings
from worker.main import run_worker

if __name__ == "__main__":
    asyncio.run(run_worker(Settings()))
