import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Action, PluginSettings } from 'appnest';
import type { CreateNoteDto } from './create-note.dto.js';
import { Note } from './note.entity.js';

@Injectable()
export class NotesService {
  constructor(
    @InjectRepository(Note) private readonly notes: Repository<Note>,
    private readonly settings: PluginSettings,
  ) {}

  list(): Promise<Note[]> {
    return this.notes.find({ order: { pinned: 'DESC', createdAt: 'DESC' }, take: this.settings.get<number>('maxNotes') });
  }

  create(input: CreateNoteDto): Promise<Note> {
    return this.notes.save(this.notes.create({ title: input.title, body: input.body ?? '', pinned: input.pinned ?? false }));
  }

  async remove(id: string): Promise<void> {
    const result = await this.notes.delete({ id });
    if (!result.affected) throw new NotFoundException(`No note ${id}`);
  }

  @Action('purge')
  async purge(): Promise<{ deleted: number }> {
    const result = await this.notes.createQueryBuilder().delete().execute();
    return { deleted: result.affected ?? 0 };
  }
}
