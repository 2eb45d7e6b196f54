// A fixed piece of JavaScript work (JSON in and out, allocation, string building: what a logging
// HTTP server does most), run by the harness pinned to the server core right before and after each
// measured run. Prints the median CPU milliseconds of one chunk. On this VM the server core
// sometimes runs at half speed for minutes (the hypervisor's doing; /proc/stat shows no steal), and a
// run in that state paired with one outside it gives a ratio that says nothing about the variants.
const obj = {
  level: 30,
  time: 1732712345678,
  msg: 'request completed',
  req: { method: 'GET', url: '/api/orgs/org_42', headers: { 'user-agent': 'autocannon', accept: '*/*' } },
  res: { statusCode: 200 },
  tags: ['a', 'b', 'c'],
  responseTime: 1.25,
};
let sink = 0;
function chunk() {
  const t = process.cpuUsage();
  for (let i = 0; i < 4000; i++) {
    const s = JSON.stringify(obj);
    const back = JSON.parse(s);
    sink += s.length + back.res.statusCode + `${back.req.url}?n=${i}`.length;
  }
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}
chunk();
chunk();
const xs = [];
for (let i = 0; i < 7; i++) xs.push(chunk());
xs.sort((a, b) => a - b);
process.stdout.write(`${xs[3]}${sink === 0 ? ' ' : ''}\n`);
