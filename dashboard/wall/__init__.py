"""Wall-screen mode: the playlist, its views and the read-only links of unattended screens."""
