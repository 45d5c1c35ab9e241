"""The admin CLI for the documentation tests, each command in a fresh fork of one process
that has already imported it: what `python -m local.admin ...` does, less the half second
of imports that each of the pages' thirty-odd commands would pay again.

`python -m tests.e2e.forked_cli SOCKET` serves; `CLIENT SOCKET ARGS...` (stdlib only, run
by `python -S`) is one command: it hands the server its stdin, stdout and stderr, its
arguments, folder and environment, and exits with the command's status. The fork runs
`local.admin`'s `__main__` as `-m` does, with the caller's descriptors, folder and
environment. tests/e2e/test_readme.py checks that its `--help` matches the real process's.
"""

from __future__ import annotations

import json
import os
import runpy
import socket
import struct
import sys
import traceback
from pathlib import Path

HEADER = struct.Struct("!I")  # the request's length, before it
CLIENT = """
import json, os, socket, struct, sys
request = json.dumps({"argv": sys.argv[2:], "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
with socket.socket(socket.AF_UNIX) as server:
    server.connect(sys.argv[1])
    socket.send_fds(server, [struct.pack("!I", len(request)) + request], [0, 1, 2])
    status = server.recv(16)
sys.exit(int(status or b"1"))
"""


def client_command(path: Path) -> str:
    """What a page's `A=...` becomes: the client, in this interpreter, for the server at
    `path` (the client's source is written beside the socket)."""
    source = path.with_suffix(".py")
    source.write_text(CLIENT)
    return f"{sys.executable} -S {source} {path}"


def _receive(connection: socket.socket) -> tuple[dict[str, object], list[int]]:
    data, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while len(data) < HEADER.size or len(data) < HEADER.size + HEADER.unpack_from(data)[0]:
        more = connection.recv(1 << 16)
        if not more:
            raise ConnectionError("the request ended early")
        data += more
    return json.loads(data[HEADER.size :]), fds


def _run(request: dict[str, object], fds: list[int]) -> None:
    """In the fork: the command, as `python -m local.admin` runs it; never returns."""
    status = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update(request["env"])  # type: ignore[arg-type]
        import local.admin

        main = Path(local.admin.__file__).with_name("__main__.py")
        sys.argv = [str(main), *request["argv"]]  # type: ignore[misc]
        try:
            runpy.run_module("local.admin", run_name="__main__", alter_sys=True)
            status = 0
        except SystemExit as done:
            if done.code is None or isinstance(done.code, int):
                status = done.code or 0
            else:
                print(done.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve(path: str) -> None:
    import local.admin  # noqa: F401 - imported once, before every fork
    from loyalty_core import settings

    # botocore imports most of its client's modules at the first client, and reads the
    # service's model into the session the layer keeps for the process (settings.py: it
    # holds no setting): a throwaway client made here spares every fork both.
    settings._botocore_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="-", aws_secret_access_key="-"
    )

    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        listener.listen()
        print("ready", flush=True)
        while True:
            connection, _ = listener.accept()
            with connection:
                request, fds = _receive(connection)
                sys.stdout.flush()
                sys.stderr.flush()
                child = os.fork()
                if child == 0:
                    listener.close()
                    _run(request, fds)
                for fd in fds:
                    os.close(fd)
                _, status = os.waitpid(child, 0)
                connection.sendall(str(os.waitstatus_to_exitcode(status)).encode())


if __name__ == "__main__":
    serve(sys.argv[1])
