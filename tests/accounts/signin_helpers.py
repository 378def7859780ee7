"""Shared by the sign-in tests: the password step and a TOTP code, through the test client."""

import time

from django.test import Client
from django_otp.oath import TOTP

PASSWORD = "correct horse 42"
LOGIN = "/admin/login/"
VERIFY = "/admin/security/verify/"


def password_step(username: str, password: str = PASSWORD, *, client=None, address="10.0.0.1"):
    client = client or Client(REMOTE_ADDR=address)
    response = client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )
    return client, response


def totp_token(device, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    totp.time = time.time()
    return f"{totp.token():06d}"
