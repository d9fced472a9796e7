"""The week in a picture: per interest and day, how many papers matched; the week's best
for the reader; a chart a phone shows at a glance, and its caption."""
