"""A local OpenAI-compatible model server: deterministic answers, latency, injected errors."""

from .app import ServerState, create_app
from .runner import RunningServer, start_in_thread, start_subprocess

__all__ = ["RunningServer", "ServerState", "create_app", "start_in_thread", "start_subprocess"]
