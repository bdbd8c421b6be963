"""Staff log-ins as the tests need them."""


def login_with_second_factor(client, user) -> None:
    """Log `user` in on the test client as if they had passed both log-in steps: a confirmed
    authenticator device, and the session marked verified by it (django-otp's session key)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
