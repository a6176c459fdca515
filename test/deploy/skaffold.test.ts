// skaffold.yaml builds the Dockerfile's image and deploys the overlays that exist, with the
// deployer each platform needs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT, readSkaffoldConfig, type SkaffoldProfile } from '../helpers/manifests.js';

const config = readSkaffoldConfig();

function profile(name: string): SkaffoldProfile {
  const found = config.profiles?.find((p) => p.name === name);
  if (found === undefined) throw new Error(`skaffold.yaml has no profile ${name}`);
  return found;
}

t.test('uses a current skaffold v4 schema', async (t) => {
  t.match(config.apiVersion, /^skaffold\/v4beta\d+$/);
  t.equal(config.kind, 'Config');
});

t.test('builds one image from the Dockerfile', async (t) => {
  t.equal(config.build.artifacts.length, 1);
  const dockerfile = config.build.artifacts[0]!.docker?.dockerfile ?? 'Dockerfile';
  t.ok(existsSync(join(REPO_ROOT, dockerfile)), `${dockerfile} exists`);
});

t.test('every kustomize path it deploys is an overlay in k8s/overlays', async (t) => {
  const paths = [config, ...(config.profiles ?? [])].flatMap((p) => p.manifests?.kustomize?.paths ?? []);
  t.ok(paths.length > 0);
  for (const path of paths) {
    t.match(path, /^k8s\/overlays\/[a-z-]+$/, `${path} is an overlay`);
    t.ok(existsSync(join(REPO_ROOT, path, 'kustomization.yaml')), `${path} has a kustomization.yaml`);
  }
});

t.test('deploys the anthos overlay with kubectl by default, and under -p anthos', async (t) => {
  t.same(config.manifests?.kustomize?.paths, ['k8s/overlays/anthos']);
  t.same(Object.keys(config.deploy ?? {}), ['kubectl']);
  t.same(profile('anthos').manifests?.kustomize?.paths, ['k8s/overlays/anthos']);
  const forward = config.portForward?.[0];
  t.equal(forward?.resourceType, 'service', 'port-forwards a Service for local development');
  t.equal(forward?.port, 80, 'to the cluster-local gateway’s plaintext HTTP/2 port');
});

t.test('the Cloud Run profiles deploy with the Cloud Run deployer only', async (t) => {
  for (const name of ['cloudrun', 'cloudrun-streaming']) {
    const cloudrun = profile(name);
    t.same(cloudrun.manifests?.kustomize?.paths, [`k8s/overlays/${name}`], `${name} renders its overlay`);
    t.ok(cloudrun.deploy?.cloudrun, `${name} adds the cloudrun deployer`);
    const removed = (cloudrun.patches ?? []).filter((p) => p.op === 'remove').map((p) => p.path);
    t.same(removed.sort(), ['/deploy/kubectl', '/portForward'], `${name} removes kubectl and the in-cluster port forward`);
  }
});
