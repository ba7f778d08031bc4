"""What the operator is shown: health words and thresholds (``health``), the status report
of database, tiers and disk (``status``), and units for sizes and times (``units``)."""
