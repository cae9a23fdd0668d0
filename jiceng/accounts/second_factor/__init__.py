"""The second factor (issue 14): TOTP authenticators with recovery codes, required for the
roles in ``settings.OTP_REQUIRED_ROLES``, remembered per device for a bounded time, reset by an
account manager; API tokens are issued only to a verified session.

``rules`` says who needs it and what a remembered device is, ``selectors`` reads devices,
``services`` writes (every write audited), ``middleware`` sends an unverified session to
verification, ``views``/``forms``/``urls`` are the pages.
"""
