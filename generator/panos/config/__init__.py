"""The configuration both sides of a push are read into: the device's candidate or running
config (view) and fragment.xml (fragment), compared as PAN-OS means it (canonical, contain,
fields). Pure: no client, no file but the fragment it is asked to read."""
