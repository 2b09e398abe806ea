import type { PluginNames } from '../plugin-names';

export type FileMap = Record<string, string>;

function descriptor({ id, title }: PluginNames, hostRange: string): string {
  const json = {
    id,
    name: title,
    version: '0.1.0',
    description: `${title} items: an entity with its migration, REST routes, a scheduled task, a setting and an action.`,
    host: hostRange,
    settings: [{ id: 'retentionDays', label: 'Keep items for (days)', type: 'number', default: 30, min: 1, max: 3650, helpText: 'The hourly clean-up deletes older items.' }],
    actions: [{ id: 'clear', label: 'Delete all items', description: 'Removes every item.', confirm: { title: 'Delete all items?', message: 'Every item is deleted. This cannot be undone.' } }],
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

const appModule = ({ id, pascal }: PluginNames) => `import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ${pascal}Item } from './${id}-item.entity.js';
import { ${pascal}Controller } from './${id}.controller.js';
import { ${pascal}Service } from './${id}.service.js';
import { ${pascal}Tasks } from './${id}.tasks.js';

@Module({
  imports: [TypeOrmModule.forFeature([${pascal}Item])],
  controllers: [${pascal}Controller],
  providers: [${pascal}Service, ${pascal}Tasks],
})
export class ${pascal}Module {}
`;

const entity = ({ pascal, table }: PluginNames) => `import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Tables start with the plugin id, so they never collide with the host's or another plugin's. */
@Entity({ name: '${table}' })
export class ${pascal}Item {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
`;

const dto = ({ pascal }: PluginNames) => `import { IsString, MaxLength, MinLength } from 'class-validator';

export class Create${pascal}ItemDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title!: string;
}
`;

const controller = ({ id, pascal }: PluginNames) => `import { Body, Controller, Get, Post, ValidationPipe } from '@nestjs/common';
import { Create${pascal}ItemDto } from './create-${id}-item.dto.js';
import { ${pascal}Service } from './${id}.service.js';

/** Served under /api/plugins/${id}/items. */
@Controller('items')
export class ${pascal}Controller {
  constructor(private readonly items: ${pascal}Service) {}

  @Get()
  list() {
    return this.items.list();
  }

  @Post()
  create(@Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })) input: Create${pascal}ItemDto) {
    return this.items.create(input.title);
  }
}
`;

const service = ({ id, pascal }: PluginNames) => `import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type Repository } from 'typeorm';
import { Action, PluginSettings } from 'appnest';
import { ${pascal}Item } from './${id}-item.entity.js';

const DAY_MS = 24 * 60 * 60 * 1000;

@Injectable()
export class ${pascal}Service {
  constructor(
    @InjectRepository(${pascal}Item) private readonly items: Repository<${pascal}Item>,
    private readonly settings: PluginSettings,
  ) {}

  list(): Promise<${pascal}Item[]> {
    return this.items.find({ order: { createdAt: 'DESC' } });
  }

  create(title: string): Promise<${pascal}Item> {
    return this.items.save(this.items.create({ title }));
  }

  /** Deletes the items older than the retentionDays setting (read on every call: changes apply at once). */
  async prune(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.settings.get<number>('retentionDays') * DAY_MS);
    const result = await this.items.delete({ createdAt: LessThan(cutoff) });
    return result.affected ?? 0;
  }

  /** The "clear" action of plugin.json, run from the admin page or with \`appnest run ${id} clear\`. */
  @Action('clear')
  async clear(): Promise<{ deleted: number }> {
    const result = await this.items.createQueryBuilder().delete().execute();
    return { deleted: result.affected ?? 0 };
  }
}
`;

const tasks = ({ id, pascal }: PluginNames) => `import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ${pascal}Service } from './${id}.service.js';

/** Runs while the plugin is active, as task '${id}:prune'; with several hosts, once per tick. */
@Injectable()
export class ${pascal}Tasks {
  private readonly logger = new Logger('plugin:${id}');

  constructor(private readonly items: ${pascal}Service) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'prune' })
  async prune(): Promise<void> {
    const deleted = await this.items.prune();
    if (deleted > 0) this.logger.log(\`Pruned \${deleted} old item(s)\`);
  }
}
`;

const migration = ({ pascal, table }: PluginNames, now: number) => `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Create${pascal}Item${now} implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`CREATE TABLE ${table} (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      title varchar(200) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )\`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE ${table}');
  }
}
`;

/** The backend of a new plugin: descriptor, module, entity and its first migration, controller, service, task. */
export function backendFiles(names: PluginNames, hostRange: string, now: number): FileMap {
  const { id } = names;
  return {
    'plugin.json': descriptor(names, hostRange),
    'app.module.ts': appModule(names),
    [`${id}-item.entity.ts`]: entity(names),
    [`create-${id}-item.dto.ts`]: dto(names),
    [`${id}.controller.ts`]: controller(names),
    [`${id}.service.ts`]: service(names),
    [`${id}.tasks.ts`]: tasks(names),
    [`migrations/${now}-create-${id}-item.ts`]: migration(names, now),
  };
}
