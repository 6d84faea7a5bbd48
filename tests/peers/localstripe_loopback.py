"""Runs localstripe (a fake Stripe API server, PyPI `localstripe`) for the integration tests.

Unlike localstripe's own command line, it listens on 127.0.0.1 only, on a free port it picks and
prints as `LISTENING <port>` on stdout, starts from an empty store and writes no state file.

It also accepts `description` on PaymentIntents, as Stripe's API does
(https://docs.stripe.com/api/payment_intents/create#create_payment_intent-description);
localstripe refuses every parameter it does not model.

Usage: python localstripe_loopback.py
"""

import logging
import socket
import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app  # importing it registers every route

# No pickle file: the store lives and dies with this process.
resources.store.dump_to_disk = lambda: None
resources.store.clear()

_payment_intent_init = resources.PaymentIntent.__init__


def _payment_intent_with_description(self, description=None, **kwargs):
    _payment_intent_init(self, **kwargs)
    self.description = description


resources.PaymentIntent.__init__ = _payment_intent_with_description


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print("LISTENING %d" % sock.getsockname()[1], flush=True)
    log = logging.getLogger("aiohttp.access")
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(sys.stderr))
    web.run_app(app, sock=sock, access_log=log, print=None)


if __name__ == "__main__":
    main()
