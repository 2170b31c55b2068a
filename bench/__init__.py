"""hogtui's benchmarks and soak, run by hand and by the team's checks (`python -m bench …`).

`soak` plays the real app against the sandbox under faults and audits that nothing was lost.
Imports the app and the sandbox, never the tests.
"""
