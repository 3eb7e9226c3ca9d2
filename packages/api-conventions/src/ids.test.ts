import { isUuid, nameBasedUuid } from './ids.ts';

it('derives the same version-5 UUID from the same name, in any service', () => {
  const id = nameBasedUuid('product', 42);
  expect(id).toBe(nameBasedUuid('product', '42'));
  expect(isUuid(id)).toBe(true);
  expect(id[14]).toBe('5');
  expect(['8', '9', 'a', 'b']).toContain(id[19]);
  expect(nameBasedUuid('user', 42)).not.toBe(id);
});
