"""`awspan collect`: read AWS and write out/state.yaml (see docs/collect.md).

sessions   - credentials per account (default chain or STS AssumeRole), clients with adaptive retries
read_ec2   - the paginated Describe* calls of one account/region pair
normalize  - raw AWS responses -> the state.yaml shape, sorted, keys in a fixed order
collector  - account x region pairs on a bounded thread pool, all or nothing
command    - the CLI entry point (`run(args) -> int`)
"""
