"""`gazette check` says what reader revenue needs before it can take a donation safely."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def donor_keys(app_configs, **kwargs):
    """Without a key, a donation would fail only once a donor had paid."""
    from . import crypto

    problem = crypto.keys_problem()
    if problem:
        return [
            Error(
                problem,
                hint="See README.md, 'Donor data', for keys and their rotation.",
                id="gazette.support.E001",
            )
        ]
    return []


@register()
def stripe_webhook_secret(app_configs, **kwargs):
    if settings.GAZETTE_STRIPE_SECRET_KEY and not settings.GAZETTE_STRIPE_WEBHOOK_SECRET:
        return [
            Warning(
                "GAZETTE_STRIPE_SECRET_KEY is set but GAZETTE_STRIPE_WEBHOOK_SECRET is not: "
                "card donations would be taken but never recorded (every webhook is refused).",
                hint="Copy the signing secret of the webhook endpoint in Stripe's dashboard.",
                id="gazette.support.W001",
            )
        ]
    return []
