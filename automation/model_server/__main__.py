"""`python -m automation.model_server --port 8100 --latency 0.05`: serve until interrupted."""

from __future__ import annotations

import argparse
import os

import uvicorn

from .app import ServerState, create_app
from .runner import listening_socket, uvicorn_config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local OpenAI-compatible model server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--hang", type=float, default=300.0, help="seconds an injected hang lasts")
    parser.add_argument(
        "--api-key", default=os.environ.get("MODEL_SERVER_API_KEY") or None,
        help="require this bearer key (default: accept any)",
    )
    args = parser.parse_args(argv)
    state = ServerState(latency_s=args.latency, hang_s=args.hang, api_key=args.api_key)
    sock = listening_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    uvicorn.Server(uvicorn_config(create_app(state))).run(sockets=[sock])


if __name__ == "__main__":
    main()
