import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, ValidationPipe } from '@nestjs/common';
import { CreateNoteDto } from './create-note.dto.js';
import { NotesService } from './notes.service.js';

@Controller('notes')
export class NotesController {
  constructor(private readonly notes: NotesService) {}

  @Get()
  list() {
    return this.notes.list();
  }

  @Post()
  create(@Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })) input: CreateNoteDto) {
    return this.notes.create(input);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', ParseUUIDPipe) id: string) {
    return this.notes.remove(id);
  }
}
