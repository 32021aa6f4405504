#!/usr/bin/env bash
# Plans a scenario on Slurm: an array of SHARDS tasks, each running one shard of the sweep
# (`infercost plan SCENARIO --shard auto --json > OUT_DIR/shard-<task>.json`), and a merge job that starts when
# every task succeeded and writes OUT_DIR/result.json, the JSON `infercost plan SCENARIO --json` prints.
#
# Usage: plan.sh SCENARIO OUT_DIR [SHARDS]    (SHARDS defaults to 4)
#
# OUT_DIR and SCENARIO must be on a file system every node sees, as must the scenario's pilot trace: the merge
# reads it again. The `infercost` on PATH here is the one the jobs run. Partition, account, time limit and the
# like come from sbatch's own variables (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT, ...).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 SCENARIO OUT_DIR [SHARDS]" >&2
  exit 2
fi
shards=${3:-4}
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
  echo "error: SHARDS must be a whole number of at least 1, not ${shards@Q}" >&2
  exit 2
fi
if [[ ! -f $1 ]]; then
  echo "error: no scenario file ${1@Q}" >&2
  exit 2
fi
if ! infercost=$(command -v infercost); then
  echo "error: no infercost on PATH" >&2
  exit 2
fi
# Absolute paths: the jobs may start in another directory, and merge finds the pilot trace from the scenario's.
scenario=$(realpath -- "$1")
mkdir -p -- "$2"
out=$(realpath -- "$2")
# Shards or a result left from another run would be merged with this one's, or mistaken for its result.
if compgen -G "$out/shard-*.json" >/dev/null || [[ -e $out/result.json ]]; then
  echo "error: $out already holds shard-*.json or result.json; give an empty folder" >&2
  exit 2
fi
q() { printf '%q' "$1"; }

# The task's index and the shard count come from Slurm (SLURM_ARRAY_TASK_ID, _MIN, _COUNT): --shard auto.
array=$(sbatch --parsable --job-name=infercost-plan --array="0-$((shards - 1))" \
  --output="$out/slurm-%A_%a.out" <<SCRIPT
#!/bin/bash
exec $(q "$infercost") plan $(q "$scenario") --shard auto --json --no-progress > $(q "$out")/shard-\$SLURM_ARRAY_TASK_ID.json
SCRIPT
)
array=${array%%;*}

# Written under another name and renamed, so result.json never exists half written.
merge=$(sbatch --parsable --job-name=infercost-merge --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$out/slurm-%j.out" <<SCRIPT
#!/bin/bash
set -e
$(q "$infercost") merge $(q "$out") --json > $(q "$out")/result.json.partial
mv $(q "$out")/result.json.partial $(q "$out")/result.json
SCRIPT
)
merge=${merge%%;*}

echo "submitted plan array $array ($shards shards) and merge job $merge; the result will be $out/result.json"
