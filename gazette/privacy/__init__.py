"""Readers' data rights and what the newsroom keeps: one place to export or erase what is
held about an email address across newsletters and donations (``requests``), the retention
periods and the purges that enforce them (``retention``), and the table of both on the
Privacy Policy page."""
