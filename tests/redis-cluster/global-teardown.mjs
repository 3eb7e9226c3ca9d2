export default async function teardown() {
  await globalThis.redisClusterForEvents?.stop();
}
