"""Choose the payment provider from settings (PAYMENT_PROVIDER=test|wechatpay|alipay).

Production refuses the test provider (anyone holding the app's secret could mark claims paid,
and no money moves) unless ALLOW_TEST_PAYMENTS=1 says that is intended (a staging setup).
"""

from __future__ import annotations

from core.alipay import AlipayConfig, AlipayProvider
from core.payments import PaymentProvider, TestPaymentProvider
from core.wechatpay import WeChatPayConfig, WeChatPayProvider
from settings import Settings, SettingsError

NOTIFY_PATHS = {"wechatpay": "/payments/wechatpay/notify", "alipay": "/payments/alipay/notify"}


def make_payments(settings: Settings) -> PaymentProvider:
    name = settings.payment_provider
    if name == "test":
        if settings.is_production and not settings.allow_test_payments:
            raise SettingsError(
                "PAYMENT_PROVIDER=test in production: set PAYMENT_PROVIDER=wechatpay or alipay "
                "(or ALLOW_TEST_PAYMENTS=1 for a staging setup without real money)"
            )
        return TestPaymentProvider(secret=f"{settings.secret_key}:payments")
    notify_url = f"{settings.public_base_url}{NOTIFY_PATHS[name]}"
    try:
        if name == "wechatpay":
            return WeChatPayProvider(WeChatPayConfig.from_env(settings.payment_env, notify_url))
        return AlipayProvider(AlipayConfig.from_env(settings.payment_env, notify_url))
    except (ValueError, OSError) as error:
        raise SettingsError(str(error)) from None


async def close_payments(provider: PaymentProvider) -> None:
    close = getattr(provider, "aclose", None)
    if close is not None:
        await close()
