"""LISTEN for the notification each import sends as it commits (skeleton: counts nothing yet)."""

from __future__ import annotations

import time


class Listener:
    def __init__(self, url: str) -> None:
        self.url = url

    def version(self) -> int:
        return 0

    def wait(self, timeout: float) -> bool:
        time.sleep(timeout)
        return False

    def close(self) -> None:
        pass
