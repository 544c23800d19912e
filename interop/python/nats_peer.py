#!/usr/bin/env python3
"""nats_peer: a NATS publisher and subscriber on the nats-py client (not
tether's code), for tether's broker interop tests.

    nats_peer.py sub URL SUBJECT N OUT   prints "subscribed" once the server
                                         has the SUB, then writes N payloads
                                         to OUT, each as an 8-byte big-endian
                                         length and the bytes
    nats_peer.py pub URL SUBJECT FILE... publishes each file as one message,
                                         then flushes

URL is nats://HOST:PORT. Needs nats-py (.ci/test installs it into .venv).
"""

import asyncio
import struct
import sys

import nats

WAIT = 20.0


async def sub(url: str, subject: str, n: int, out: str) -> None:
    nc = await nats.connect(url, connect_timeout=WAIT)
    s = await nc.subscribe(subject)
    await nc.flush()
    print("subscribed", flush=True)
    with open(out, "wb") as f:
        for _ in range(n):
            m = await s.next_msg(timeout=WAIT)
            f.write(struct.pack("!Q", len(m.data)) + m.data)
    await nc.close()


async def pub(url: str, subject: str, files: list[str]) -> None:
    nc = await nats.connect(url, connect_timeout=WAIT)
    for path in files:
        with open(path, "rb") as f:
            await nc.publish(subject, f.read())
    await nc.flush()
    await nc.close()


def main(argv: list[str]) -> int:
    if len(argv) == 5 and argv[0] == "sub":
        asyncio.run(sub(argv[1], argv[2], int(argv[3]), argv[4]))
    elif len(argv) >= 4 and argv[0] == "pub":
        asyncio.run(pub(argv[1], argv[2], argv[3:]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
