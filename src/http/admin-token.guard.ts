import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { AdminApi } from '../core/admin-api';
import { tokenMatches } from '../core/admin/admin-token';
import { PluginError } from '../errors/plugin-error';
import { APPNEST_HOST } from './host-tokens';

/**
 * Admin routes need `Authorization: Bearer <token>`; refusals are throttled and audited per address.
 * Guards run before interceptors, so an upload's body is not read before this passes.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(APPNEST_HOST) private readonly host: AdminApi) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const address = req.ip ?? 'unknown';
    const header = req.headers.authorization ?? '';
    const presented = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    // The right token always passes, so a flood from the admin's own address cannot lock the admin out.
    if (tokenMatches(this.host.adminToken, presented)) return true;
    this.host.refusedAuthentications.assertAllowed(address);
    await this.host.refusedAuthentications.refuse(address, `${req.method} ${req.path}`);
    throw new PluginError('PLG_UNAUTHORIZED', presented ? 'The admin token is wrong.' : 'This route needs the admin token.', {
      hint: 'Send "Authorization: Bearer <token>"; the token is APPNEST_ADMIN_TOKEN or the one in the data folder\'s admin-token file.',
    });
  }
}
