import { describe, expect, it } from 'vitest';
import { canonicalParams, mergeMetadata, optionalBoolean, parseFormParams } from '../../sandbox/stripe/form-params';

// The Stripe sandbox's form parser: the bracket forms stripe-node sends, read as Stripe reads them.
describe('parseFormParams', () => {
  it('reads nested hashes, indexed arrays and metadata the way stripe-node encodes them', () => {
    const body =
      'customer=cus_1&expand[0]=latest_invoice&expand[1]=customer.invoice_settings' +
      '&items[0][price_data][currency]=usd&items[0][price_data][recurring][interval]=month' +
      '&items[1][price]=price_2&metadata[order%20id]=A%2B1&metadata[note]=two+words';
    expect(parseFormParams(body)).toEqual({
      customer: 'cus_1',
      expand: ['latest_invoice', 'customer.invoice_settings'],
      items: [{ price_data: { currency: 'usd', recurring: { interval: 'month' } } }, { price: 'price_2' }],
      metadata: { 'order id': 'A+1', note: 'two words' },
    });
  });

  it('orders arrays by index, appends `x[]`, and keeps large indices as arrays', () => {
    expect(parseFormParams('x[2]=c&x[0]=a&x[1]=b')).toEqual({ x: ['a', 'b', 'c'] });
    expect(parseFormParams('expand[]=a&expand[]=b')).toEqual({ expand: ['a', 'b'] });
    expect(parseFormParams('x[150]=b&x[3]=a')).toEqual({ x: ['a', 'b'] });
  });

  it('reads empty values as unset, a repeated key as its last value, and a mixed hash as a hash', () => {
    expect(parseFormParams('metadata=&description')).toEqual({ metadata: '', description: '' });
    expect(parseFormParams('a=1&a=2')).toEqual({ a: '2' });
    expect(parseFormParams('x[0]=a&x[k]=b')).toEqual({ x: { '0': 'a', k: 'b' } });
    expect(parseFormParams('')).toEqual({});
  });

  it('treats prototype names as ordinary keys and never touches Object.prototype', () => {
    const params = parseFormParams('metadata[toString]=t&metadata[constructor]=c&__proto__[polluted]=1');
    expect(mergeMetadata({}, params)).toEqual({ toString: 't', constructor: 'c' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // Hashes are ordinary objects, so error messages can print them.
    expect(() => optionalBoolean(parseFormParams('flag[a]=1'), 'flag')).toThrow(/Invalid boolean/);
  });

  it('gives the same canonical form to the same parameters in any order', () => {
    expect(canonicalParams(parseFormParams('b=2&a[y]=1&a[x]=0'))).toBe(canonicalParams(parseFormParams('a[x]=0&a[y]=1&b=2')));
  });
});
