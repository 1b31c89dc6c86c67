#!/usr/bin/env python3
"""deploy/kubernetes/*.yaml, checked without a cluster (none runs here):

1. Against the fields the Kubernetes API requires (reference: "Job v1",
   kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/,
   and "Jobs", kubernetes.io/docs/concepts/workloads/controllers/job/):
   apiVersion/kind/metadata.name on every object; a Job's spec.template
   with containers that have a name and an image; restartPolicy Never or
   OnFailure (a Job refuses Always); completionMode Indexed only with
   completions set, parallelism <= completions; no unknown JobSpec fields;
   names that are DNS labels; every volumeMount naming a volume, every
   claimName a PersistentVolumeClaim of the file set with ReadWriteMany
   (shards on several nodes write to it) and a storage request.
2. By running them: each indexed pod's command, run by sh with the
   container's environment and JOB_COMPLETION_INDEX = 0..completions-1
   (the volume's mountPath replaced by a temporary directory, SCENARIO by
   a small one), then the merge Job's command; the merged output must be
   byte-identical to a single `cnisim run`.

usage: k8s-manifest.py CNISIM SOURCE_DIR
"""
import filecmp
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    sys.exit('FAIL: python3-yaml is needed (apt-get install python3-yaml)')

cnisim, src = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)


DNS_LABEL = re.compile(r'[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
JOB_SPEC_FIELDS = {
    'activeDeadlineSeconds', 'backoffLimit', 'backoffLimitPerIndex', 'completionMode',
    'completions', 'managedBy', 'manualSelector', 'maxFailedIndexes', 'parallelism',
    'podFailurePolicy', 'podReplacementPolicy', 'selector', 'successPolicy', 'suspend',
    'template', 'ttlSecondsAfterFinished'}
KINDS = {('batch/v1', 'Job'), ('v1', 'PersistentVolumeClaim')}

docs = []
kdir = os.path.join(src, 'deploy', 'kubernetes')
for name in sorted(os.listdir(kdir)):
    if name.endswith('.yaml'):
        with open(os.path.join(kdir, name)) as f:
            for d in yaml.safe_load_all(f):
                if d is not None:
                    docs.append((name, d))
claims = {}
jobs = {}
for file, d in docs:
    where = file
    if (d.get('apiVersion'), d.get('kind')) not in KINDS:
        fail('%s: apiVersion/kind %s/%s is not a Job or a PersistentVolumeClaim'
             % (file, d.get('apiVersion'), d.get('kind')))
        continue
    name = (d.get('metadata') or {}).get('name', '')
    where = '%s: %s %s' % (file, d['kind'], name)
    if not DNS_LABEL.match(name) or len(name) > 63:
        fail('%s: metadata.name must be a DNS label' % where)
    spec = d.get('spec') or {}
    if d['kind'] == 'PersistentVolumeClaim':
        if 'ReadWriteMany' not in (spec.get('accessModes') or []):
            fail('%s: accessModes must include ReadWriteMany (pods on several nodes)' % where)
        if not ((spec.get('resources') or {}).get('requests') or {}).get('storage'):
            fail('%s: resources.requests.storage is required' % where)
        claims[name] = d
        continue
    for k in spec:
        if k not in JOB_SPEC_FIELDS:
            fail('%s: unknown JobSpec field %s' % (where, k))
    pod = (spec.get('template') or {}).get('spec')
    if not pod:
        fail('%s: spec.template.spec is required' % where)
        continue
    if pod.get('restartPolicy') not in ('Never', 'OnFailure'):
        fail('%s: restartPolicy must be Never or OnFailure' % where)
    mode = spec.get('completionMode', 'NonIndexed')
    if mode not in ('NonIndexed', 'Indexed'):
        fail('%s: completionMode %s' % (where, mode))
    if mode == 'Indexed':
        c, p = spec.get('completions'), spec.get('parallelism', 1)
        if not isinstance(c, int) or c < 1:
            fail('%s: an Indexed Job needs completions >= 1' % where)
        elif not isinstance(p, int) or not 0 <= p <= min(c, 100000):
            fail('%s: parallelism must be 0..completions' % where)
    containers = pod.get('containers') or []
    if not containers:
        fail('%s: at least one container is required' % where)
    volumes = {v.get('name'): v for v in pod.get('volumes') or []}
    for c in containers:
        if not DNS_LABEL.match(c.get('name', '')):
            fail('%s: container name must be a DNS label' % where)
        if not c.get('image'):
            fail('%s: container %s has no image' % (where, c.get('name')))
        for m in c.get('volumeMounts') or []:
            if m.get('name') not in volumes or not m.get('mountPath', '').startswith('/'):
                fail('%s: volumeMount %s names no volume, or its mountPath is not absolute'
                     % (where, m.get('name')))
    jobs[name] = (where, spec, pod)
for file, d in docs:
    if d.get('kind') != 'Job':
        continue
    for v in (d['spec']['template']['spec'].get('volumes') or []):
        claim = (v.get('persistentVolumeClaim') or {}).get('claimName')
        if claim is not None and claim not in claims:
            fail('%s: volume %s: claim %s is not in deploy/kubernetes' % (file, v['name'], claim))

# --- 2. run the commands as the pods would ---
indexed = [j for j in jobs.values() if j[1].get('completionMode') == 'Indexed']
merges = [j for j in jobs.values() if j[1].get('completionMode', 'NonIndexed') == 'NonIndexed']
if len(indexed) != 1 or len(merges) != 1:
    fail('expected one Indexed shard Job and one merge Job, found %d and %d'
         % (len(indexed), len(merges)))
if failures:
    sys.exit(1)

small = os.path.join(src, 'tests', 'golden', 'service-scale.ini')
tmp = tempfile.mkdtemp(prefix='cnisim-k8s.')
bindir = os.path.join(tmp, 'bin')
os.mkdir(bindir)
os.symlink(cnisim, os.path.join(bindir, 'cnisim'))
volume = os.path.join(tmp, 'volume')
os.mkdir(volume)


def run_pod(where, c, index=None):
    mount = c['volumeMounts'][0]['mountPath']
    env = {'PATH': bindir + ':/usr/bin:/bin'}
    for e in c.get('env') or []:
        env[e['name']] = str(e['value'])
    if 'SCENARIO' in env:
        env['SCENARIO'] = small
    if index is not None:
        env['JOB_COMPLETION_INDEX'] = str(index)
    argv = [a.replace(mount, volume) for a in c['command'] + (c.get('args') or [])]
    r = subprocess.run(argv, env=env, cwd=tmp, capture_output=True, text=True)
    if r.returncode != 0:
        fail('%s: index %s: exit %d: %s' % (where, index, r.returncode, r.stderr.strip()))
    return argv


where, spec, pod = indexed[0]
text = ' '.join(pod['containers'][0]['command'])
if 'JOB_COMPLETION_INDEX' not in text:
    fail('%s: the command does not use JOB_COMPLETION_INDEX' % where)
shards = {e['name']: e['value'] for e in pod['containers'][0].get('env') or []}.get('SHARDS')
if str(shards) != str(spec['completions']):
    fail('%s: SHARDS (%s) must equal completions (%s)' % (where, shards, spec['completions']))
for i in range(spec['completions']):
    run_pod(where, pod['containers'][0], i)
made = sorted(os.listdir(volume))
want = sorted('s%d' % (i + 1) for i in range(spec['completions']))
if made != want:
    fail('%s: shard directories %s, expected %s' % (where, made, want))
where, spec, pod = merges[0]
run_pod(where, pod['containers'][0])
single = os.path.join(tmp, 'single')
subprocess.run([cnisim, 'run', small, '-o', single, '--quiet'], check=True)
merged = [os.path.join(volume, d) for d in os.listdir(volume) if not re.match(r's\d+$', d)]
if len(merged) != 1:
    fail('merge Job: expected one output directory on the volume, found %s' % merged)
else:
    for f in ('summary.csv', 'runs.csv', 'ipam.csv'):
        if not filecmp.cmp(os.path.join(single, f), os.path.join(merged[0], f), shallow=False):
            fail('merged %s differs from a single run' % f)

# The image the manifests name is built from this repository on Debian 12.
with open(os.path.join(src, 'deploy', 'Containerfile')) as f:
    cf = f.read()
froms = re.findall(r'^FROM (\S+)', cf, re.M)
if not froms or not all(re.search(r'debian:12\b', x) for x in froms):
    fail('Containerfile: every stage must be FROM debian:12 (found %s)' % froms)
if not re.search(r'^COPY \. ', cf, re.M) or 'meson install' not in cf:
    fail('Containerfile: must COPY the repository and meson install it')

subprocess.run(['rm', '-rf', tmp])
if failures:
    sys.exit(1)
print('kubernetes: ok: %d objects checked; %d indexed pods and the merge, run by sh, '
      'give the bytes of a single run' % (len(docs), indexed[0][1]['completions']))
