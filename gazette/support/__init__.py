"""Reader revenue: the appeal, donations once, monthly or annually, payment providers,
donor links, receipts and the fundraising dashboard (issue #5)."""
