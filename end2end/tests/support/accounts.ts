/** The admin every browser test signs in as (created through the first-run setup page). */
export const ADMIN = {
  name: 'Ana Admin',
  email: 'admin@verdict.test',
  password: 'correct horse battery staple',
};

/** The second server (empty database, demo test). A different host name from the main
 *  server's 127.0.0.1 so the two servers' session cookies (which ignore ports) stay apart. */
export const DEMO = 'http://localhost:3101';

/** Where the signed-in browser state is kept between the setup project and the tests. */
export const STATE = '.auth/admin.json';
