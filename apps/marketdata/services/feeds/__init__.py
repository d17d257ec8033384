"""Live and replay feeds, run by the long-lived `python manage.py feed_run` process.

    sessions.py   start and stop requests (what the API calls): FeedSession rows
                  (reads of sessions, instruments and stored bars: apps.marketdata.selectors.feeds)
    control.py    the runner's side of the session life cycle (claim, report, release)
    live.py       LiveFeed: the simulated market, one tick at a time → quotes, level 2, bars
    replay.py     ReplayFeed: stored bars played back in time order at N× speed
    runner.py     FeedRunner: the loop that polls control, advances every feed and reports
    events.py     the bus payloads the feeds publish

A session's life: pending (asked) → running (claimed by a runner) → stopping (stop asked) →
stopped; a replay that plays all its bars ends finished; a runner shutting down hands its sessions
back as pending so the next runner resumes them.
"""
