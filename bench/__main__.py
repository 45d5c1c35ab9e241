"""Benchmark (SPEC 9): prints six tables, asserts nothing.

1. handler overhead per route, DynamoDB stubbed (median, p95 of warm invocations;
   `bench/warm.py`);
2. DynamoDB requests per API call, against the embedded DynamoDB (moto;
   `bench/requests_per_call.py`); 2b. what a page of the audit trail reads at depths 1,
   10 and the last of 100 and 1,500 records, plain and filtered (`bench/trail_pages.py`);
3. cold start as deployed: each handler imported with its DynamoDB client from the
   `sam build` output (built for this machine by the same steps), in fresh python3.12
   interpreters, as a ratio to `import boto3` + one DynamoDB client (target 1.3), beside
   what the frameworks alone cost, and the first and second call after that import
   (`bench/cold_start.py`);
4. what one call costs: DynamoDB units per route with 1, 10 and 100 memberships a user,
   and an estimated price per million calls (`bench/cost.py`, `bench/prices.json`);
5. the enrichment's travellers read at once: the call's time with 1 and 9 travellers
   against a store taking a fixed time per request (`bench/travellers.py`);
6. a company import's rate on the embedded store at 500 and 5,000 users of 3 memberships
   (`bench/bulk.py`): flat if its time grows linearly with the file;
7. webhooks: local commit-to-delivery p50/p99 (`bench/webhooks.py`, its own process).

The routes and events every section calls are `bench/calls.py`.

    python -m bench [--iterations 300] [--cold-runs 9] [--cost-runs 30] [--enrich-runs 15]
        [--bulk-users 500,5000] [--webhook-events 200] [--sections 1,2,3,4,5,6,7]

`--sections` runs only the sections named (`make bench SECTIONS=3`: the cold start alone);
2 prints 2b with it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench import bulk, cost
from bench.calls import call, environment, membership_cases
from bench.cold_start import print_cold_start
from bench.requests_per_call import print_requests_per_call
from bench.stub import StubDynamoDB
from bench.trail_pages import print_trail_pages
from bench.travellers import print_travellers
from bench.warm import print_overhead
from local.template import ROOT

SECTIONS = "1,2,3,4,5,6,7"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--cost-runs", type=int, default=30)
    parser.add_argument("--enrich-runs", type=int, default=15)
    parser.add_argument("--bulk-users", default="500,5000", help="company sizes to import")
    parser.add_argument("--webhook-events", type=int, default=200)
    parser.add_argument("--sections", default=SECTIONS, help="the sections to run, e.g. 3")
    args = parser.parse_args()
    sections = {part.strip() for part in args.sections.split(",")}
    if not sections <= set(SECTIONS.split(",")):
        parser.error(f"--sections: each one of {SECTIONS}")
    client, stub = environment()  # the demo data every section reads
    if "1" in sections:
        print_overhead(stub, args.iterations)
    if "2" in sections:
        print_requests_per_call(client)
        print_trail_pages(client)
    if "3" in sections:
        print_cold_start(args.cold_runs)

    if "4" in sections:
        runs = args.cost_runs
        print(f"\n4. What one call costs (units on the embedded DynamoDB; {runs} warm calls)")

        def stub_from() -> StubDynamoDB:  # the embedded DynamoDB's items as they are now
            return StubDynamoDB(client.scan(TableName="bench")["Items"])

        for line in cost.section(client, stub_from, membership_cases, call, args.cost_runs):
            print(line)
    if "5" in sections:
        print_travellers(client, args.enrich_runs)
    if "6" in sections:
        bulk.print_section([int(n) for n in args.bulk_users.split(",")])
    if "7" not in sections:
        return
    # Its own process: the embedded server and the pump, as `make run` runs them.
    done = subprocess.run(
        [sys.executable, "-m", "bench.webhooks", "--events", str(args.webhook_events)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # its section, without the functions' metric lines (EMF, on stdout as in Lambda)
    section = [line for line in done.stdout.splitlines() if not line.startswith("{")]
    print("\n".join(section).rstrip() if done.returncode == 0 else done.stderr[-2000:])


if __name__ == "__main__":
    main()
