import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to port 3000 and PGlite in ./data', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.validationThreads).toBeUndefined();
    expect(loadConfig({ XCREDIT_VALIDATION_THREADS: '0' }).validationThreads).toBe(0);
    expect(c.databasePoolSize).toBe(20);
    expect(c.logLevel).toBe('info');
    expect(c.shutdownSeconds).toBe(25);
    expect(loadConfig({ DATABASE_POOL_SIZE: '40' }).databasePoolSize).toBe(40);
    expect(c.secretKey).toBeUndefined();
    expect(c.ltiOutbound.hosts.size).toBe(0);
    expect(c.ltiOutbound.addresses.check('127.0.0.1', 'ipv4')).toBe(false);
    expect(loadConfig({ XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: '127.0.0.1 localhost' }).ltiOutbound.hosts.has('localhost')).toBe(true);
    expect(c.webhookOutbound.addresses.check('10.0.0.1', 'ipv4')).toBe(false);
    const hr = loadConfig({ XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS: 'hr.intranet 10.20.0.0/16' });
    expect([hr.webhookOutbound.hosts.has('hr.intranet'), hr.webhookOutbound.addresses.check('10.20.1.1', 'ipv4'), hr.ltiOutbound.hosts.has('hr.intranet')]).toEqual([true, true, false]);
    expect(c.smtpOutbound.addresses.check('127.0.0.1', 'ipv4')).toBe(false);
    const relay = loadConfig({ XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS: 'relay.intranet, 10.30.0.0/16' });
    expect([relay.smtpOutbound.hosts.has('relay.intranet'), relay.smtpOutbound.addresses.check('10.30.1.1', 'ipv4'), relay.webhookOutbound.hosts.has('relay.intranet')]).toEqual([true, true, false]);
    expect(c.frameAncestors).toEqual(['*']);
    expect(c.allowedOrigins).toBeUndefined();
  });

  it('reads frame ancestors and allowed origins as lists of origins', () => {
    const c = loadConfig({ XCREDIT_FRAME_ANCESTORS: 'self, https://LMS.example.edu https://*.moodle.example.org:8443', XCREDIT_ALLOWED_ORIGINS: 'https://vendor.example,http://localhost:5173' });
    expect(c.frameAncestors).toEqual(["'self'", 'https://lms.example.edu', 'https://*.moodle.example.org:8443']);
    expect(c.allowedOrigins).toEqual(['https://vendor.example', 'http://localhost:5173']);
    expect(loadConfig({ XCREDIT_FRAME_ANCESTORS: 'none' }).frameAncestors).toEqual(["'none'"]);
    expect(loadConfig({ XCREDIT_ALLOWED_ORIGINS: '*' }).allowedOrigins).toEqual(['*']);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT="eighty": must be a whole number'],
    [{ PORT: '70000' }, 'PORT="70000": must be between 0 and 65535'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL="mysql://x": must be a postgres:// URL'],
    [{ XCREDIT_ADMIN_KEY: 'admin-key' }, 'XCREDIT_ADMIN_KEY and XCREDIT_ADMIN_SECRET must be set together'],
    [{ XCREDIT_ADMIN_KEY: 'admin-key', XCREDIT_ADMIN_SECRET: 'short' }, 'XCREDIT_ADMIN_SECRET="short": must be at least 16 characters'],
    [{ XCREDIT_PUBLIC_URL: 'ftp://x' }, 'XCREDIT_PUBLIC_URL="ftp://x": must be an http(s) URL'],
    [{ XCREDIT_VALIDATION_THREADS: 'many' }, 'XCREDIT_VALIDATION_THREADS="many": must be a whole number'],
    [{ XCREDIT_VALIDATION_THREADS: '65' }, 'XCREDIT_VALIDATION_THREADS="65": must be at most 64'],
    [{ DATABASE_POOL_SIZE: '1' }, 'DATABASE_POOL_SIZE="1": must be between 2 and 500'],
    [{ DATABASE_POOL_SIZE: 'lots' }, 'DATABASE_POOL_SIZE="lots": must be a whole number'],
    [{ XCREDIT_LOG_LEVEL: 'loud' }, 'XCREDIT_LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ XCREDIT_SHUTDOWN_SECONDS: '-1' }, 'XCREDIT_SHUTDOWN_SECONDS="-1": must be a whole number'],
    [{ XCREDIT_SECRET_KEY: 'too-short' }, 'XCREDIT_SECRET_KEY="too-short": must be at least 32 characters'],
    [{ XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: '127.0.0.1, 10.0.0.0/99' }, 'XCREDIT_LTI_ALLOW_PRIVATE_HOSTS="127.0.0.1, 10.0.0.0/99": "10.0.0.0/99" is not a CIDR range'],
    [{ XCREDIT_LTI_ALLOW_PRIVATE_HOSTS: 'http://lms.local' }, '"http://lms.local" is not a host name, an IP address or a CIDR range'],
    [{ XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS: 'hr.intranet, 10.0.0.0/33' }, 'XCREDIT_WEBHOOK_ALLOW_PRIVATE_HOSTS="hr.intranet, 10.0.0.0/33": "10.0.0.0/33" is not a CIDR range'],
    [{ XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS: 'smtp://relay' }, 'XCREDIT_SMTP_ALLOW_PRIVATE_HOSTS="smtp://relay": "smtp://relay" is not a host name, an IP address or a CIDR range'],
    [{ XCREDIT_FRAME_ANCESTORS: "https://lms.example.edu; script-src 'unsafe-inline'" }, 'XCREDIT_FRAME_ANCESTORS="https://lms.example.edu; script-src \'unsafe-inline\'": "https://lms.example.edu;" is not an http(s) origin'],
    [{ XCREDIT_FRAME_ANCESTORS: 'https://lms.example.edu/courses' }, '"https://lms.example.edu/courses" is not an http(s) origin'],
    [{ XCREDIT_FRAME_ANCESTORS: "* 'self'" }, "XCREDIT_FRAME_ANCESTORS=\"* 'self'\": * and 'none' must stand alone"],
    [{ XCREDIT_FRAME_ANCESTORS: ' , ' }, 'XCREDIT_FRAME_ANCESTORS=" , ": must name at least one origin'],
    [{ XCREDIT_ALLOWED_ORIGINS: 'vendor.example' }, 'XCREDIT_ALLOWED_ORIGINS="vendor.example": "vendor.example" is not an http(s) origin'],
    [{ XCREDIT_ALLOWED_ORIGINS: 'https://*.vendor.example' }, '"https://*.vendor.example" is not an http(s) origin'],
    [{ XCREDIT_ALLOWED_ORIGINS: 'https://vendor.example *' }, '* must stand alone'],
  ])('names the bad variable in %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('makes the CLI exit with code 2 and a clear message on a bad value', () => {
    const cli = fileURLToPath(new URL('../bin/xcredit.js', import.meta.url));
    const res = spawnSync(process.execPath, [cli, 'migrate'], { env: { ...process.env, PORT: 'x', DATABASE_URL: '' }, encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('xcredit: invalid configuration');
    expect(res.stderr).toContain('PORT="x"');
  });
});
