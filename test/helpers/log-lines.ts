// A process that writes `count` log lines through a logger on stdout, as the server's entry point makes it, then
// ends the way argv[3] says: `exit` (process.exit(3)), `throw` (an uncaught exception) or `stay` (runs until killed).
import { stdoutLines } from '../../src/log-destination.js';
import { createLogger } from '../../src/logger.js';

const [count = '0', ending = 'exit'] = process.argv.slice(2);
const logger = createLogger('info', stdoutLines(false));
for (let i = 0; i < Number(count); i += 1) logger.info({ i, filler: 'x'.repeat(200) }, `line ${i}`);
if (ending === 'exit') process.exit(3);
if (ending === 'throw') throw new Error('thrown on purpose');
setInterval(() => {}, 1000);
