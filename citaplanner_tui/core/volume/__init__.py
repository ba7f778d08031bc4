"""The backup volume: file names and tiers, the catalog of what is there, its lock, free
space, private and durable writes, retention and pruning, deletion, manifests, and the
records of verifications kept beside the backups (``records``)."""
