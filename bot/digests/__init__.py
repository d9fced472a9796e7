"""A digest's life, owned here: choose (rank, personal note, summaries) → write the outbox
row → render → claim and send. The sweep, /digest, the CLI, chat and the demo all call it."""
