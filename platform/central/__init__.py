"""The central site: anonymized comparison of the towns, for central admins.

Central admins (a prefecture's welfare division, the ministry's analysts, the operator)
never see a record: a release job (:mod:`.release`) counts each opted-in town's figures
through the reports' aggregation API, adds discrete-Laplace noise with OpenDP and writes
*released tables*; the central site (:mod:`.app`, its own host, accounts and database
role) reads only those tables and the budget ledger. The site's modules import no tenant
model; the job's modules (:mod:`.release`, :mod:`.towns`) do, and the site never imports
them.
"""
