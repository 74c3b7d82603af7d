// Next.js config (ESM: package.json has "type": "module"). Kept minimal on purpose.
// Telemetry would try to reach a host this network refuses; `next build` reads this file before it
// creates its telemetry client, so setting the variable here covers `npm start` too.
process.env.NEXT_TELEMETRY_DISABLED = '1';

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // Turbopack is the default bundler for `next dev` and `next build` in Next 16; pin the workspace root
  // so a stray lockfile in a parent directory cannot change module resolution.
  turbopack: { root: import.meta.dirname },
};

export default nextConfig;
