"""A local stand-in for the Stripe API endpoints Gazette calls, for the real `stripe` SDK.

It answers on 127.0.0.1 in a thread, keeps every request it got (method, path, form
fields as the SDK encodes them, e.g. ``line_items[0][price_data][unit_amount]``), and
answers with objects shaped like Stripe's. Only these endpoints exist:

    POST   /v1/checkout/sessions
    GET    /v1/products/<id>        POST /v1/products     POST /v1/products/<id>
    GET    /v1/subscriptions/<id>   POST /v1/subscriptions/<id>   DELETE /v1/subscriptions/<id>
    GET    /v1/invoice_payments?payment[type]=payment_intent&payment[payment_intent]=<id>

Anything else is a 404 in Stripe's error shape, so a call the code should not make fails.
``fail_with`` makes every request answer with a given Stripe error.
"""

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class StripeStub:
    requests: list[Received] = field(default_factory=list)
    products: dict[str, dict] = field(default_factory=dict)
    subscriptions: dict[str, dict] = field(default_factory=dict)
    # PaymentIntent id -> the invoice it paid, for the invoice payments list.
    invoice_payments: dict[str, str] = field(default_factory=dict)
    fail_with: tuple[int, dict] | None = None
    # A form field Stripe refuses (answered 400 with it as the error's ``param``).
    refuse_field: str = ""

    def __post_init__(self):
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                pass

            def do_GET(self):
                stub._serve(self)

            def do_POST(self):
                stub._serve(self)

            def do_DELETE(self):
                stub._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def add_subscription(self, sub_id: str, *, unit_amount: int, currency: str, interval: str):
        self.subscriptions[sub_id] = {
            "id": sub_id,
            "object": "subscription",
            "status": "active",
            "metadata": {},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{sub_id}",
                        "object": "subscription_item",
                        "quantity": 1,
                        "price": _price(
                            "price_first", "gazette_donation", unit_amount, currency, interval
                        ),
                    }
                ],
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
        }

    def calls(self, method: str, path: str) -> list[Received]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # --- serving ---

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else parts.query
        received = Received(
            handler.command, parts.path, dict(parse_qsl(body)), dict(handler.headers.items())
        )
        with self._lock:
            self.requests.append(received)
            if self.refuse_field in received.form:
                status, answer = 400, error("invalid_request_error", "Invalid value.")
                answer["error"]["param"] = self.refuse_field
            else:
                status, answer = self.fail_with or self._answer(received)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", f"req_stub_{next(self._ids)}")
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, r: Received) -> tuple[int, dict]:
        route = (r.method, *r.path.strip("/").split("/"))
        match route:
            case ("POST", "v1", "checkout", "sessions"):
                n = next(self._ids)
                return 200, {
                    "id": f"cs_test_{n}",
                    "object": "checkout.session",
                    "mode": r.form.get("mode"),
                    "status": "open",
                    "url": f"https://checkout.stripe.com/c/pay/cs_test_{n}",
                    "metadata": {
                        k[9:-1]: v for k, v in r.form.items() if k.startswith("metadata[")
                    },
                }
            case ("GET", "v1", "products", product_id) if product_id in self.products:
                return 200, self.products[product_id]
            case ("POST", "v1", "products"):
                product = {"object": "product", "active": True, "statement_descriptor": None}
                product.update(id=r.form["id"], name=r.form["name"])
                product["statement_descriptor"] = r.form.get("statement_descriptor") or None
                self.products[product["id"]] = product
                return 200, product
            case ("POST", "v1", "products", product_id) if product_id in self.products:
                product = self.products[product_id]
                if "statement_descriptor" in r.form:
                    product["statement_descriptor"] = r.form["statement_descriptor"] or None
                return 200, product
            case ("GET", "v1", "subscriptions", sub_id) if sub_id in self.subscriptions:
                return 200, self.subscriptions[sub_id]
            case ("DELETE", "v1", "subscriptions", sub_id) if sub_id in self.subscriptions:
                self.subscriptions[sub_id]["status"] = "canceled"
                return 200, self.subscriptions[sub_id]
            case ("POST", "v1", "subscriptions", sub_id) if sub_id in self.subscriptions:
                subscription = self.subscriptions[sub_id]
                item = subscription["items"]["data"][0]
                prefix = "items[0][price_data]"
                item["price"] = _price(
                    f"price_{next(self._ids)}",
                    r.form[f"{prefix}[product]"],
                    int(r.form[f"{prefix}[unit_amount]"]),
                    r.form[f"{prefix}[currency]"],
                    r.form[f"{prefix}[recurring][interval]"],
                )
                return 200, subscription
            case ("GET", "v1", "invoice_payments"):
                intent = r.form.get("payment[payment_intent]", "")
                invoice = self.invoice_payments.get(intent)
                paid = {
                    "id": f"inpay_{intent}",
                    "object": "invoice_payment",
                    "invoice": invoice,
                    "is_default": True,
                    "payment": {"type": "payment_intent", "payment_intent": intent},
                    "status": "paid",
                }
                return 200, {
                    "object": "list",
                    "data": [paid] if invoice else [],
                    "has_more": False,
                    "url": "/v1/invoice_payments",
                }
        return 404, error(
            "invalid_request_error", f"No such resource: {r.path}", "resource_missing"
        )


def _price(price_id: str, product: str, unit_amount: int, currency: str, interval: str) -> dict:
    return {
        "id": price_id,
        "object": "price",
        "product": product,
        "unit_amount": unit_amount,
        "currency": currency,
        "type": "recurring",
        "recurring": {"interval": interval, "interval_count": 1},
    }


def error(kind: str, message: str, code: str = "") -> dict:
    return {"error": {"type": kind, "message": message, "code": code or None}}
