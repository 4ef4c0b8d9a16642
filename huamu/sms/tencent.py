"""Tencent Cloud SMS through its own SDK (`tencentcloud-sdk-python-sms`, the extra `sms`).

`SMS_BACKEND=tencent`. The account, application, signature and region come from the
`TENCENT_SMS_*` settings; `SMS_TEMPLATE_IDS` maps each of our template names to the id of the
template approved in the SMS console (`name:en=id` for an approved English version, used
for recipients who read English). The approved template says what templates/sms/<name>.txt
says, its parameters as {1}, {2}… in the order the file's first line gives.

One SendSms call per message, waiting at most TENCENT_SMS_TIMEOUT seconds. Every failure is
an `SmsError`: the SDK's own (network, refused credentials, a template not approved) and a
number the provider refused in its answer; `retry` is set when trying later may help.
"""

from collections.abc import Sequence

from django.conf import settings

from huamu.phones import mask_phone

from . import SmsError, SmsMessage, template_params

# Error codes after which the same message may go through later: the network, the
# provider's own trouble, a limit on the whole account's rate.
_TRANSIENT_PREFIXES = (
    "ClientNetworkError",
    "ServerNetworkError",
    "InternalError",
    "RequestLimitExceeded",
    "ResourceUnavailable",
)
_REQUIRED = ("TENCENT_SMS_SECRET_ID", "TENCENT_SMS_SECRET_KEY", "TENCENT_SMS_APP_ID")


def _is_transient(code: str) -> bool:
    return code.startswith(_TRANSIENT_PREFIXES)


def international(phone: str) -> str:
    """A stored mainland mobile (13812345678) as the provider wants it: +8613812345678."""
    return phone if phone.startswith("+") else f"+86{phone}"


class TencentBackend:
    """Send each message with the SDK's SendSms (API version 2021-01-11)."""

    def __init__(self) -> None:
        try:
            from tencentcloud.common import credential
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            from tencentcloud.sms.v20210111 import sms_client
        except ImportError:
            raise SmsError(
                "SMS_BACKEND=tencent needs the SDK: pip install 'huamu-dream-wishes[sms]'"
            ) from None
        missing = [name for name in _REQUIRED if not getattr(settings, name, "")]
        if missing:
            raise SmsError(f"Tencent SMS is not configured: {', '.join(missing)} missing")
        http = HttpProfile(reqTimeout=settings.TENCENT_SMS_TIMEOUT)
        if settings.TENCENT_SMS_ENDPOINT:
            http.endpoint = settings.TENCENT_SMS_ENDPOINT
        http.protocol = http.scheme = settings.TENCENT_SMS_SCHEME
        self.client = sms_client.SmsClient(
            credential.Credential(settings.TENCENT_SMS_SECRET_ID, settings.TENCENT_SMS_SECRET_KEY),
            settings.TENCENT_SMS_REGION,
            ClientProfile(httpProfile=http),
        )

    def template_id(self, message: SmsMessage) -> str:
        """The approved template for the message's language, else the default one."""
        ids = settings.SMS_TEMPLATE_IDS
        found = ids.get(f"{message.template}:{message.language}") or ids.get(message.template)
        if not found:
            raise SmsError(f"SMS_TEMPLATE_IDS has no id for the template {message.template}")
        return found

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        for message in messages:
            self._send(message)
        return len(messages)

    def _send(self, message: SmsMessage) -> None:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [international(message.phone)]
        request.SmsSdkAppId = settings.TENCENT_SMS_APP_ID
        request.SignName = settings.TENCENT_SMS_SIGN
        request.TemplateId = self.template_id(message)
        request.TemplateParamSet = [
            str(message.params.get(name, "")) for name in template_params(message.template)
        ]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            code = str(error.code or "")
            raise SmsError(f"{code}: {error.message}", retry=_is_transient(code)) from None
        for status in response.SendStatusSet or []:
            if status.Code != "Ok":
                raise SmsError(
                    f"{status.Code}: {status.Message} ({mask_phone(message.phone)})",
                    retry=_is_transient(str(status.Code)),
                )
        if not response.SendStatusSet:
            raise SmsError("The provider's answer lists no message", retry=True)
