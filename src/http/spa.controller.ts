import { Controller, Get, Next, Req, Res } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { WebApp } from '../frontend/web-app';

const web = new WebApp();

/**
 * The single-page app at every path outside `/api`. An `/api/...` path is passed on (to a route
 * registered later, else the JSON 404), so an API path is never answered with the page.
 */
@Controller()
export class SpaController {
  @Get('{*path}')
  serve(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    if (/^\/api(\/|$)/i.test(req.path)) return next();
    web.serve(req, res);
  }
}
