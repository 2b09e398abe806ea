import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { AppnestHost } from '../core/appnest-host';
import { tokenMatches } from '../core/admin-token';
import { PluginError } from '../errors/plugin-error';
import { APPNEST_HOST } from './host-tokens';

/** Admin routes need `Authorization: Bearer <token>`; a refusal is audited. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(APPNEST_HOST) private readonly host: AppnestHost) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization ?? '';
    const presented = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (tokenMatches(this.host.adminToken, presented)) return true;
    await this.host.audit.record({ actor: 'anonymous', ip: req.ip ?? null, action: `auth ${req.method} ${req.path}`, outcome: 'refused' });
    throw new PluginError('PLG_UNAUTHORIZED', presented ? 'The admin token is wrong.' : 'This route needs the admin token.', {
      hint: 'Send "Authorization: Bearer <token>"; the token is APPNEST_ADMIN_TOKEN or the one in the data folder\'s admin-token file.',
    });
  }
}
