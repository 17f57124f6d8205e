"""The push: the one multi-config batch and the one that undoes it (batch), the sequence under
the config lock (apply), read-back (verify), the partial commit (commit), Panorama's commit-all
(commitall), progress lines (progress) and the User-ID registrations (registrations)."""
