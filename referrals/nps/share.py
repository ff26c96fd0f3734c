"""What a promoter's thank-you page shows to share: the referral link and share buttons that
the referrals part of this app builds (`referrals.selectors.referral_share_get` and its
`referrals/includes/share.html`)."""


def promoter_share_context(request, customer) -> dict:
    try:
        from referrals.selectors import referral_share_get
    except ImportError:  # the referrals branch isn't merged yet
        return {}
    return {"share": referral_share_get(customer=customer)}
