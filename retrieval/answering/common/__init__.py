"""What both writers read in text: dates (:mod:`.when`), numbers (:mod:`.numbers`), spans of
names, numbers and dates in a sentence (:mod:`.spans`), and how a report is named
(:mod:`.reports`). Nothing here imports a writer."""
